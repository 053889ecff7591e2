using System.Net;
using EventSourced.Adapters.Storage;
using EventSourced.Domain.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Adapters.Server;

/// <summary>Settings of the local server when a host runs it (<see cref="StringeeServerServiceCollectionExtensions.AddStringeeServer"/>).</summary>
public sealed class StringeeServerOptions
{
    /// <summary>The port to listen on; 0 picks a free one (read it from <see cref="StringeeServerService.Server"/>).</summary>
    public int Port { get; set; } = 5080;
    /// <summary>The address to listen on; loopback unless set (the built-in public secret is refused anywhere else).</summary>
    public string Bind { get; set; } = "127.0.0.1";
    /// <summary>A configuration file (see <c>stringee-es config</c>); the built-in configuration when null.</summary>
    public string? ConfigPath { get; set; }
}

/// <summary>The local server as a hosted service: started with the host, stopped (every connection closed) with it.</summary>
public sealed class StringeeServerService(IOptions<StringeeServerOptions> options, IServiceProvider services) : IHostedService, IAsyncDisposable
{
    StringeeServer? server;

    /// <summary>The running server.</summary>
    /// <exception cref="InvalidOperationException">The host has not started it yet.</exception>
    public StringeeServer Server => server ?? throw new InvalidOperationException("the Stringee server has not started (start the host first)");

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        static OptionsValidationException Invalid(string why) => new(nameof(StringeeServerOptions), typeof(StringeeServerOptions), [why]);
        if (o.Port is < 0 or > 65535) throw Invalid($"Port {o.Port} is not between 0 and 65535");
        if (!IPAddress.TryParse(o.Bind, out var bind)) throw Invalid($"Bind '{o.Bind}' is not an IP address");
        var config = o.ConfigPath is null ? ServerConfig.Default : ServerConfig.Load(o.ConfigPath).IfFail(e => throw Invalid($"ConfigPath: {e.Message}"));
        server = await StringeeServer.StartAsync(config, o.Port, services.GetService<IEventLog<ServerRecorded>>(), services.GetService<TimeProvider>(), bind,
            services.GetService<ILoggerFactory>()?.CreateLogger<StringeeServer>(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var s = Interlocked.Exchange(ref server, null);
        if (s is not null) await s.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Registers the local server in a service collection.</summary>
public static class StringeeServerServiceCollectionExtensions
{
    /// <summary>
    /// Runs the local Stringee-compatible server as a hosted service. It records in the container's
    /// <c>IEventLog&lt;ServerRecorded&gt;</c> when there is one (else in memory), logs through its <see cref="ILoggerFactory"/> and
    /// keeps time with its <see cref="TimeProvider"/>. Resolve <see cref="StringeeServerService"/> for the running server (its port, its URL).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the server's options; the defaults (127.0.0.1:5080, built-in configuration) when null.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddStringeeServer(this IServiceCollection services, Action<StringeeServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<StringeeServerOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton<StringeeServerService>();
        services.AddHostedService(sp => sp.GetRequiredService<StringeeServerService>());
        return services;
    }
}
