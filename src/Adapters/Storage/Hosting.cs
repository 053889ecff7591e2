using EventSourced.Adapters.Storage.Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EventSourced.Adapters.Storage;

/// <summary>Settings of the client's Marten log when the container makes it (<see cref="StringeeMartenServiceCollectionExtensions.AddStringeeMartenLog"/>).</summary>
public sealed class StringeeMartenLogOptions
{
    /// <summary>The log's PostgreSQL schema (its tables, views, evidence); one schema per log.</summary>
    public string Schema { get; set; } = "client_log";
    /// <summary>False when the data source logs in as an application role that may not change the schema (the owner applied it).</summary>
    public bool ApplySchema { get; set; } = true;
    /// <summary>A signed tree head every this many events.</summary>
    public int TreeHeadEvery { get; set; } = 1_000;
    /// <summary>
    /// Joins the processes that keep the analytics tables (<c>analytics_*</c>) with Marten's async daemon in hot/cold mode:
    /// one process of the database runs it, the others stand by and take over when it stops.
    /// </summary>
    public bool RunAnalytics { get; set; }
}

/// <summary>Registers the client's Marten log on the application's <see cref="Npgsql.NpgsqlDataSource"/>.</summary>
public static class StringeeMartenServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="MartenClientLog"/> as the container's <see cref="IEventLog"/> (which <c>AddStringeeClient</c> then records in),
    /// on the <see cref="Npgsql.NpgsqlDataSource"/> the application registered (Npgsql's <c>AddNpgsqlDataSource</c>, or its own
    /// singleton): the log borrows its connections, credentials and pool rather than building a store from a connection string.
    /// A hosted service applies the schema and reads the log's position when the host starts (and runs the analytics daemon
    /// when <see cref="StringeeMartenLogOptions.RunAnalytics"/>); the log is disposed with the container.
    /// </summary>
    /// <param name="services">The service collection (it must hold an <see cref="Npgsql.NpgsqlDataSource"/>).</param>
    /// <param name="configure">Sets the log's options; the defaults when null.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddStringeeMartenLog(this IServiceCollection services, Action<StringeeMartenLogOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<StringeeMartenLogOptions>()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Schema) && o.Schema.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'),
                "Schema must be lower-case letters, digits and underscores")
            .Validate(o => o.TreeHeadEvery > 0, "TreeHeadEvery must be positive");
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<StringeeMartenLogOptions>>().Value;
            var dataSource = sp.GetService<Npgsql.NpgsqlDataSource>()
                ?? throw new InvalidOperationException("AddStringeeMartenLog needs an NpgsqlDataSource in the container (services.AddNpgsqlDataSource(...) or AddSingleton(dataSource))");
            return new MartenClientLog(dataSource, o.Schema, treeHeadEvery: o.TreeHeadEvery, applySchema: o.ApplySchema)
            {
                Logger = (Microsoft.Extensions.Logging.ILogger?)sp.GetService<Microsoft.Extensions.Logging.ILogger<MartenClientLog>>()
                    ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            };
        });
        services.TryAddSingleton<IEventLog>(sp => sp.GetRequiredService<MartenClientLog>());
        services.AddHostedService<MartenLogService>();
        return services;
    }

    // Opens the log (and starts the analytics daemon) before anything records in it; the container's disposal of the log stops the daemon.
    sealed class MartenLogService(MartenClientLog log, IOptions<StringeeMartenLogOptions> options) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await log.InitializeAsync(cancellationToken).ConfigureAwait(false);
            if (options.Value.RunAnalytics) await log.StartAnalyticsAsync(cancellationToken).ConfigureAwait(false);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
