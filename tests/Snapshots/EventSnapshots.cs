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

    [Theory]
    [MemberData(nameof(EventTypes))]
    public void Event_json(string name)
    {
        var type = typeof(Event).GetNestedType(name)!;
        var json = Samples.Parse(BodyCodec.Encode(Samples.Of(type)));
        Snapshot.Match(json, SnapshotNameExtension.Create(name));
    }
}
