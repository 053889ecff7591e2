using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Domain.Client;

public sealed class ChatTests
{
    static readonly Reducer<Chat.State> R = new("chat", Chat.State.Initial, Chat.Apply);

    [Property(MaxTest = 200)] public Property Evolve_is_total() => Laws.Total(R);
    [Property(MaxTest = 200)] public Property Fold_splits() => Laws.FoldSplits(R);
    [Property(MaxTest = 200)] public Property A_duplicated_packet_changes_nothing() => Laws.DuplicateIsNoOp(R);
    [Property(MaxTest = 100)] public Property Seq_decides_order() => Laws.SeqDecidesOrder(R);

    [Property(MaxTest = 300)]
    public Property An_edit_never_changes_a_revoked_message() =>
        Prop.ForAll(Generators.Lifecycle.ToArbitrary(), events =>
        {
            var s = R.Run(R.Start, events);
            return s.State.Messages.Values.Filter(m => m.Revoked).ForAll(m =>
                R.Step(s, new Event.MessageEdited(new EditNotice(m.ConvId, m.Id, Json.Object(("content", "again"))))).State.Messages[m.Id] == m);
        });

    [Theory]
    [InlineData("{\"content\":\"a\"}", "a")]
    [InlineData("plain text", "plain text")]
    public void Content_of_an_edit_accepts_json_text_and_plain_text(string newContent, string text) =>
        Assert.Equal(text, Chat.TextOf(Chat.ContentOf(new Json.Str(newContent))));
}
