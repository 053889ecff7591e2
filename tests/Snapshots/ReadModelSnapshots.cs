using EventSourced.Projections;
using EventSourced.Tests.Properties.Projections;
using EventSourced.Tests.Properties.Support;

namespace EventSourced.Tests.Snapshots;

/// <summary>Every read model after the canonical scenario: create a group, send, edit twice, pin, revoke, unpin, read reports.</summary>
public sealed class ReadModelSnapshots
{
    static readonly ReadModels After = Scenario.Fold(Scenario.Canonical);

    [Fact] public void Conversation_list() => Snapshot.Match(Plain.Of(ConversationList.Visible(After.Conversations))!);
    [Fact] public void Timeline_user_view() => Snapshot.Match(Plain.Of(Timeline.View(After.Timeline, "c1"))!);
    [Fact] public void Timeline_audit_view() => Snapshot.Match(Plain.Of(Timeline.Audit(After.Timeline, "c1"))!);
    [Fact] public void Pins() => Snapshot.Match(Plain.Of(After.Pins.ByConv)!);
    [Fact] public void Edit_history() => Snapshot.Match(Plain.Of(After.Edits.ByConv)!);
    [Fact] public void Revokes() => Snapshot.Match(Plain.Of(After.Revokes.ByConv)!);
    [Fact] public void Coverage() => Snapshot.Match(Plain.Of(new { Held = Projections.Coverage.Of(After.Coverage, "c1").Held, Gaps = Projections.Coverage.Of(After.Coverage, "c1").Gaps })!);
    [Fact] public void Session() => Snapshot.Match(Plain.Of(After.Session)!);
    [Fact] public void Object_changes() => Snapshot.Match(Plain.Of(Scenario.Canonical.Bind(ObjectChanges.Derive))!);
}
