namespace EventSourced.Tests.Snapshots;

/// <summary>One serialised event per event type: the storage contract of the event log.</summary>
public sealed class EventSnapshots
{
    public static TheoryData<string> EventTypes()
    {
        var data = new TheoryData<string>();
        foreach (var t in typeof(Event).GetNestedTypes().Where(t => t.IsSealed && typeof(Event).IsAssignableFrom(t)).OrderBy(t => t.Name, StringComparer.Ordinal))
            data.Add(t.Name);
        return data;
    }

    public static TheoryData<string> ServerEventTypes()
    {
        var data = new TheoryData<string>();
        foreach (var t in typeof(EventSourced.Domain.Server.ServerEvent).GetNestedTypes().Where(t => t.IsSealed).OrderBy(t => t.Name, StringComparer.Ordinal))
            data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(ServerEventTypes))]
    public void Server_event_json(string name)
    {
        var type = typeof(EventSourced.Domain.Server.ServerEvent).GetNestedType(name)!;
        Snapshot.Match(Samples.Parse(BodyCodec.Encode(Samples.Of(type))), SnapshotNameExtension.Create(name));
    }

    public static TheoryData<string> ComplianceEventTypes()
    {
        var data = new TheoryData<string>();
        foreach (var t in typeof(EventSourced.Domain.Compliance.ComplianceEvent).GetNestedTypes().Where(t => t.IsSealed).OrderBy(t => t.Name, StringComparer.Ordinal))
            data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(ComplianceEventTypes))]
    public void Compliance_event_json(string name)
    {
        var type = typeof(EventSourced.Domain.Compliance.ComplianceEvent).GetNestedType(name)!;
        Snapshot.Match(Samples.Parse(BodyCodec.Encode(Samples.Of(type))), SnapshotNameExtension.Create(name));
    }

    [Theory]
    [MemberData(nameof(EventTypes))]
    public void Event_json(string name)
    {
        var type = typeof(Event).GetNestedType(name)!;
        var json = Samples.Parse(BodyCodec.Encode(Samples.Of(type)));
        Snapshot.Match(json, SnapshotNameExtension.Create(name));
    }
}
