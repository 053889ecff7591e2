// A user's first app: the local Stringee-compatible server and a StringeeClient in one .NET host, two users chatting,
// then the metrics the client and the server reported. Run: dotnet run --project samples/Chat (after packing, see README).
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using EventSourced.Adapters;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Server;
using EventSourced.Domain.Client;
using LanguageExt;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// What a collector would export (OpenTelemetry's AddMeter("StringeeEs") does the same): every measurement, summed by instrument.
var totals = new System.Collections.Concurrent.ConcurrentDictionary<string, double>();
using var listener = new MeterListener();
listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == Telemetry.Name) l.EnableMeasurementEvents(instrument); };
listener.SetMeasurementEventCallback<long>((i, v, _, _) => totals.AddOrUpdate(i.Name, v, (_, t) => t + v));
listener.SetMeasurementEventCallback<double>((i, v, _, _) => totals.AddOrUpdate(i.Name, v, (_, t) => t + v));
listener.Start();

var port = FreePort();
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Stringee:Servers:0"] = $"ws://127.0.0.1:{port}" });
builder.Services.AddStringeeServer(o => o.Port = port);
builder.Services.AddStringeeClient(builder.Configuration.GetSection(StringeeClientOptions.Section));
using var host = builder.Build();
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
await host.StartAsync(stop.Token);

var server = host.Services.GetRequiredService<StringeeServerService>().Server;
string Token(string user) => TokenIssuer.Issue(server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, user);

var alice = host.Services.GetRequiredService<StringeeClient>();
// A second user in the same process, from the same settings.
await using var bob = new StringeeClient(host.Services.GetRequiredService<IOptions<StringeeClientOptions>>().Value.ToClientOptions());
try
{
    await alice.ConnectAsync(Token("alice"), stop.Token).OrThrowAsync();
    await bob.ConnectAsync(Token("bob"), stop.Token).OrThrowAsync();
    var conv = await alice.CreateConversationAsync(Prelude.Seq1("bob"), new ConversationOptions("sample", false, true, default, default), stop.Token).OrThrowAsync();
    var heard = bob.Timeline(conv.Id).Select(t => t.Filter(m => m.Type == 1)).Where(t => t.Count >= 2).FirstAsync().Timeout(TimeSpan.FromSeconds(10));
    var waiting = heard.ToTask(stop.Token);
    await alice.SendTextAsync(conv.Id, "hello bob", stop.Token).OrThrowAsync();
    await alice.SendTextAsync(conv.Id, "the package works", stop.Token).OrThrowAsync();
    foreach (var m in await waiting) Console.WriteLine($"bob sees {m.Sender}: {m.Text}");
    await bob.SendTextAsync(conv.Id, "hi alice", stop.Token).OrThrowAsync();
}
catch (StringeeException e)
{
    Console.Error.WriteLine($"the chat failed: {e.Code}: {e.Message}");
    return 1;
}
finally
{
    // The users leave before the server stops (a server going away first would make them reconnect).
    await alice.DisconnectAsync(CancellationToken.None);
    await bob.DisconnectAsync(CancellationToken.None);
    await host.StopAsync(CancellationToken.None);
}

listener.RecordObservableInstruments();
Console.WriteLine();
Console.WriteLine("metrics (Meter \"StringeeEs\"):");
foreach (var (name, total) in totals.OrderBy(t => t.Key, StringComparer.Ordinal)) Console.WriteLine($"  {name,-40} {total,12:0.###}");
return totals.GetValueOrDefault("stringee.chat.messages.sent") >= 3 ? 0 : 1;

static int FreePort()
{
    using var probe = new TcpListener(IPAddress.Loopback, 0);
    probe.Start();
    return ((IPEndPoint)probe.LocalEndpoint).Port;
}
