using EventSourced.Domain.Server;

namespace EventSourced.Tests.Properties.Domain.Server;

public sealed class ServerEventsTests
{
    // The server files an event under its conversation's stream through IInConversation (no reflection):
    // an event that names a conversation and lacks the interface would land in "server/conversation/none".
    [Fact]
    public void Every_server_event_that_names_a_conversation_says_so()
    {
        var events = typeof(ServerEvent).GetNestedTypes().Where(t => t.IsSealed && typeof(ServerEvent).IsAssignableFrom(t)).ToArray();
        var naming = events.Where(t => t.GetProperty("ConvId")?.PropertyType == typeof(string)).ToArray();
        Assert.True(naming.Length >= 20, $"{naming.Length} events name a conversation");
        Assert.Empty(naming.Where(t => !typeof(IInConversation).IsAssignableFrom(t)).Select(t => t.Name));
    }
}
