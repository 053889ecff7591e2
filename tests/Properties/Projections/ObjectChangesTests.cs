using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class ObjectChangesTests
{
    [Fact]
    public void A_new_message_inserts_a_message_and_updates_its_conversation() =>
        Assert.Equal(Seq(new ObjectChanges.Change(1, 0, "c1", Seq1("m1")), new ObjectChanges.Change(0, 1, "c1", Seq1("c1"))),
            ObjectChanges.Derive(Received("c1", "m1", 1, "bob", "x")));

    [Fact]
    public void A_deleted_conversation_is_a_conversation_delete() =>
        Assert.Equal(Seq1(new ObjectChanges.Change(0, 2, "c1", Seq1("c1"))), ObjectChanges.Derive(new Event.ConversationDeleted(new DeleteConversationResult(0, 1L, "c1"))));

    [Fact]
    public void A_new_conversation_is_an_insert_and_an_existing_distinct_one_an_update()
    {
        Assert.Equal(0, ObjectChanges.Derive(Created("c1", "a", "b")).Single().ChangeType);
        Assert.Equal(1, ObjectChanges.Derive(new Event.ConversationCreated(new CreateConversationResult(2, 1L, "c1", Conversation("c1", "a", "b"), None))).Single().ChangeType);
    }

    [Fact]
    public void Edits_revokes_and_deletes_are_message_updates_and_deletes()
    {
        Assert.Equal((1, 1), ObjectChanges.Derive(Edited("c1", "m1", "x")).Map(c => (c.ObjectType, c.ChangeType)).Single());
        Assert.Equal((1, 1), ObjectChanges.Derive(Revoked("c1", "m1")).Map(c => (c.ObjectType, c.ChangeType)).Single());
        Assert.Equal((1, 2), ObjectChanges.Derive(new Event.MessagesDeleted(new DeleteMessagesResult(0, 1L, "c1", Seq1("m1")))).Map(c => (c.ObjectType, c.ChangeType)).Single());
    }

    [Property(MaxTest = 200, Arbitrary = [typeof(Arbitraries)])]
    public Property Every_change_has_a_known_object_and_change_type(Event e) =>
        ObjectChanges.Derive(e).ForAll(c => c.ObjectType is 0 or 1 && c.ChangeType is 0 or 1 or 2).ToProperty();
}
