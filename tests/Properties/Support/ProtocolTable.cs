using EventSourced.Domain.Packets;
using Xunit;

namespace EventSourced.Tests.Properties.Support;

/// <summary>Every (service, direction) of the protocol table, as theory data (shared by the property and snapshot tests).</summary>
public static class ProtocolTable
{
    public static TheoryData<Service, Direction> All()
    {
        var data = new TheoryData<Service, Direction>();
        foreach (var (s, d, _) in Protocol.Table) data.Add(s, d);
        return data;
    }
}
