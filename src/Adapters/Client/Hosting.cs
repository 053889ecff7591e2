using EventSourced.Adapters.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Adapters.Client;

/// <summary>
/// The client's settings as the options pattern binds them (<c>appsettings.json</c>, environment variables, code): the
/// bindable twin of <see cref="ClientOptions"/>. Validated when the client is first resolved; a bad value fails with
/// an <see cref="OptionsValidationException"/> naming it.
/// </summary>
public sealed class StringeeClientOptions
{
    /// <summary>The configuration section <see cref="StringeeClientServiceCollectionExtensions.AddStringeeClient(IServiceCollection, IConfiguration)"/> reads by convention.</summary>
    public const string Section = "Stringee";

    /// <summary>WebSocket addresses (<c>ws://</c> or <c>wss://</c>), rotated on failure; empty asks <see cref="RestBaseUrl"/> for them.</summary>
    public string[] Servers { get; set; } = [];
    /// <summary>Base of the REST API (server discovery and live chat); Stringee's own when null.</summary>
    public string? RestBaseUrl { get; set; }
    /// <summary>How long a request waits for its answer (then -4, or -3 for a query).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How long connecting and authenticating may take (then -3).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>First reconnect delay; the n-th retry waits n times this.</summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Most consecutive reconnect attempts before giving up.</summary>
    public int MaxReconnectAttempts { get; set; } = 50;
    /// <summary>Largest frame accepted from the server, in bytes.</summary>
    public int MaxFrameBytes { get; set; } = 4 << 20;
    /// <summary>Page size of the catch-up that follows every (re)connect.</summary>
    public int CatchUpPageSize { get; set; } = 50;
    /// <summary>Sent in AUTHEN as deviceId; a fresh one per process when null.</summary>
    public string? DeviceId { get; set; }

    /// <summary>What is wrong with these settings, one line each (empty when they are usable).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var s in Servers ?? [])
            if (!Uri.TryCreate(s, UriKind.Absolute, out var u) || u.Scheme is not ("ws" or "wss"))
                problems.Add($"Servers: '{s}' is not a ws:// or wss:// address");
        if (RestBaseUrl is not null && (!Uri.TryCreate(RestBaseUrl, UriKind.Absolute, out var rest) || rest.Scheme is not ("http" or "https")))
            problems.Add($"RestBaseUrl: '{RestBaseUrl}' is not an http:// or https:// address");
        if (RequestTimeout <= TimeSpan.Zero) problems.Add("RequestTimeout must be positive");
        if (ConnectTimeout <= TimeSpan.Zero) problems.Add("ConnectTimeout must be positive");
        if (ReconnectBackoff < TimeSpan.Zero) problems.Add("ReconnectBackoff must not be negative");
        if (MaxReconnectAttempts < 0) problems.Add("MaxReconnectAttempts must not be negative");
        if (MaxFrameBytes < 1024) problems.Add("MaxFrameBytes must be at least 1024");
        if (CatchUpPageSize is < 1 or > 1000) problems.Add("CatchUpPageSize must be between 1 and 1000");
        return problems;
    }

    /// <summary>The <see cref="ClientOptions"/> these settings describe, recording in <paramref name="log"/> (in memory when null).</summary>
    /// <param name="log">The event log; the client makes (and owns) an in-memory one when null.</param>
    /// <param name="logger">Where the client logs; nothing when null.</param>
    /// <param name="time">The clock and timers; the system's when null.</param>
    /// <exception cref="ArgumentException">The settings are not usable (<see cref="Problems"/> says why).</exception>
    public ClientOptions ToClientOptions(IEventLog? log = null, ILogger? logger = null, TimeProvider? time = null)
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ArgumentException("invalid Stringee client settings: " + string.Join("; ", problems));
        var options = new ClientOptions((Servers ?? []).Select(s => new Uri(s)).ToSeq(), RestBaseUrl is null ? null : new Uri(RestBaseUrl))
        {
            Log = log,
            Logger = logger,
            Time = time ?? TimeProvider.System,
            RequestTimeout = RequestTimeout,
            ConnectTimeout = ConnectTimeout,
            ReconnectBackoff = ReconnectBackoff,
            MaxReconnectAttempts = MaxReconnectAttempts,
            MaxFrameBytes = MaxFrameBytes,
            CatchUpPageSize = CatchUpPageSize,
        };
        return DeviceId is null ? options : options with { DeviceId = DeviceId };
    }
}

/// <summary>Registers a <see cref="StringeeClient"/> in a service collection.</summary>
public static class StringeeClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="StringeeClient"/> (a singleton, disposed with the container) configured by <paramref name="configure"/>.
    /// It records in the <see cref="IEventLog"/> registered in the container (for PostgreSQL: <c>AddStringeeMartenLog</c> of
    /// StringeeEs.Marten), else in memory; it logs through the container's <see cref="ILoggerFactory"/> and keeps time with its
    /// <see cref="TimeProvider"/> when there are ones.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the client's options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddStringeeClient(this IServiceCollection services, Action<StringeeClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<StringeeClientOptions>().Configure(configure);
        return AddClient(services);
    }

    /// <summary>Registers one <see cref="StringeeClient"/> whose options are bound from <paramref name="section"/> (conventionally <c>Stringee</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding <see cref="StringeeClientOptions"/>' properties.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddStringeeClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<StringeeClientOptions>().Bind(section);
        return AddClient(services);
    }

    static IServiceCollection AddClient(IServiceCollection services)
    {
        services.AddOptions<StringeeClientOptions>().Validate(o => o.Problems().Count == 0, "invalid Stringee client settings (StringeeClientOptions.Problems says which)");
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StringeeClientOptions>>().Value;
            return new StringeeClient(options.ToClientOptions(
                sp.GetService<IEventLog>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger<StringeeClient>(),
                sp.GetService<TimeProvider>()));
        });
        return services;
    }
}
