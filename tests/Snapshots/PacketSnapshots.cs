using Newtonsoft.Json.Linq;

namespace EventSourced.Tests.Snapshots;

/// <summary>The wire form of one packet per service and direction: the contract with Stringee's SDKs and servers.</summary>
public sealed class PacketSnapshots
{
    public static TheoryData<Service, Direction> Table() => EventSourced.Tests.Properties.Support.ProtocolTable.All();

    [Theory]
    [MemberData(nameof(Table))]
    public void Packet_json(Service service, Direction direction)
    {
        var body = (Body)Samples.Of((Type)Protocol.BodyType(service, direction));
        var text = Frame.EncodeText(Protocol.Encode(service, body));
        var json = Samples.Scrub(JToken.Parse(System.Text.Encoding.UTF8.GetString(text)));
        Snapshot.Match(json, SnapshotNameExtension.Create($"{(int)service}-{service}-{(direction == Direction.ClientToServer ? "request" : "from-server")}"));
    }
}
