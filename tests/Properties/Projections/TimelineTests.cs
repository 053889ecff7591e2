using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class TimelineTests() : ReducerLaws<Timeline.State>(Timeline.Reducer)
{
    [Property(MaxTest = 300)]
    public Property Edits_never_resurrect_revoked_content() =>
        Prop.ForAll(Generators.Lifecycle.ToArbitrary(), events =>
        {
            var s = R.Fold(events);
            var revoked = s.Conversations.Find("a").Map(c => c.RevokedIds).IfNone(Set<OrdStringOrdinal, string>());
            var view = Timeline.View(s, "a");
            return view.Filter(m => revoked.Contains(m.Id)).ForAll(m => m.Revoked && m.Content.Fields.IsEmpty);
        });

    [Property(MaxTest = 300)]
    public Property A_revoked_message_keeps_its_original_and_every_edit_in_the_audit_view() =>
        Prop.ForAll(Generators.Lifecycle.ToArbitrary(), events =>
        {
            var before = R.Fold(events);
            return Timeline.Audit(before, "a").ForAll(m =>
            {
                var after = R.Observe(before, Revoked("a", m.Id));
                return Timeline.Find(after, "a", m.Id).Map(x => x.Revoked && x.Versions == m.Versions).IfNone(false);
            });
        });

    [Property(MaxTest = 200)]
    public Property The_view_is_ordered_by_seq_whatever_the_arrival_order() =>
        Prop.ForAll(Generators.SeqOrdered.ToArbitrary(), events =>
        {
            var seqs = Timeline.View(R.Fold(events), "a").Map(m => m.Seq);
            return seqs == toSeq(seqs.OrderBy(x => x));
        });

    [Fact]
    public void Given_the_canonical_scenario_the_user_view_shows_edits_revokes_and_read_state()
    {
        var view = Timeline.View(R.Fold(Canonical), "c1");
        Assert.Collection(view,
            m => Assert.Equal(("m2", Timeline.MessageState.Read, "hello team"), (m.Id, m.State, Chat.TextOf(m.Content))),
            m => Assert.Equal(("m3", true, false, "hi Alice!"), (m.Id, m.Edited, m.Pinned, Chat.TextOf(m.Content))),
            m => Assert.Equal(("m4", true, ""), (m.Id, m.Revoked, Chat.TextOf(m.Content))));
    }

    [Fact]
    public void Given_the_canonical_scenario_the_audit_view_keeps_every_version()
    {
        var m3 = Timeline.Find(R.Fold(Canonical), "c1", "m3").IfNone(() => throw new InvalidOperationException());
        Assert.Equal(Seq("hi alice", "hi alice!", "hi Alice!"), m3.Versions.Map(Chat.TextOf));
        var m4 = Timeline.Find(R.Fold(Canonical), "c1", "m4").IfNone(() => throw new InvalidOperationException());
        Assert.Equal("morning", Chat.TextOf(m4.Original));
    }

    [Fact]
    public void A_message_waits_in_the_outbox_until_the_server_gives_it_a_seq()
    {
        var waiting = R.Fold(Seq(Connected("alice"), SendRequested(5, "c1", "l9", "queued")));
        Assert.Equal(Seq1(new Timeline.Outgoing("l9", "c1", 1, Json.Object(("content", "queued")), 5)), Timeline.Pending(waiting, "c1"));
        var sent = R.Observe(waiting, Sent(5, "c1", "l9", "m9", 9));
        Assert.Empty(Timeline.Pending(sent, "c1"));
        Assert.Equal(("m9", "alice", Timeline.MessageState.Sent), Timeline.View(sent, "c1").Map(m => (m.Id, m.Sender, m.State)).Single());
    }

    [Fact]
    public void The_outbox_keeps_the_order_messages_were_sent_in_not_the_order_of_their_ids()
    {
        var s = R.Fold(Seq(Connected("alice"), SendRequested(9, "c1", "z-9", "first"), SendRequested(10, "c1", "a-10", "second"), SendRequested(11, "c1", "m-11", "third")));
        Assert.Equal(Seq("first", "second", "third"), Timeline.Pending(s, "c1").Map(o => Chat.TextOf(o.Content)));
    }

    [Fact]
    public void A_revoke_that_arrives_before_its_message_still_applies() =>
        Assert.True(Timeline.View(R.Fold(Seq(Revoked("c1", "m5"), Received("c1", "m5", 5, "bob", "oops"))), "c1").Single().Revoked);

    [Fact]
    public void A_reload_adds_a_missed_edit_but_never_resurrects_a_revoked_message()
    {
        var s = R.Fold(Seq(Received("c1", "m1", 1, "bob", "v1"), Revoked("c1", "m1")));
        var reload = new Event.MessagesLoaded(new MessagesResult(0, 1L, Seq1(new MessageInfo("m1", 1, "c1", None, 1L, 1, "bob", Json.Object(("content", "v2")), 0, None, 0, 0, None))));
        Assert.True(Timeline.View(R.Observe(s, reload), "c1").Single().Revoked);
        var fresh = R.Fold(Seq(Received("c1", "m1", 1, "bob", "v1"), reload));
        Assert.Equal(Seq("v1", "v2"), Timeline.Find(fresh, "c1", "m1").Map(m => m.Versions.Map(Chat.TextOf)).IfNone(Seq<string>()));
    }

    [Fact]
    public void An_edit_back_to_an_earlier_text_is_still_an_edit()
    {
        var s = R.Fold(Seq(Received("c1", "m1", 1, "bob", "A"), Edited("c1", "m1", "B"), Edited("c1", "m1", "A")));
        Assert.Equal("A", Chat.TextOf(Timeline.Find(s, "c1", "m1").Map(m => m.Content).IfNone(Json.Obj.Empty)));
    }

    // Keys are ordered ordinally, not by the machine's culture: a replay lists conversations (and writes
    // JSON fields) in the same order on every machine, and ordinal comparison is what keeps the fold fast.
    [Fact]
    public void Conversations_are_ordered_the_same_whatever_the_culture()
    {
        var ids = new[] { "b", "B", "a_", "a-", "aa", "Ä", "z" };
        var events = toSeq(ids.Select((id, i) => Received(id, $"m{i}", 1, "bob", "x"))).Strict();
        var before = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            var orders = new[] { "en-US", "sv-SE", "tr-TR" }.Select(name =>
            {
                System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo(name);
                return string.Join(",", R.Fold(events).Conversations.Keys);
            }).ToArray();
            Assert.All(orders, o => Assert.Equal(string.Join(",", ids.Order(StringComparer.Ordinal)), o));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = before;
        }
    }

    // A message holds its original alone until edited: however it was built, it is the same value with the same versions.
    [Property(MaxTest = 200)]
    public Property A_message_is_its_versions_however_it_was_built() =>
        Prop.ForAll(Generators.JsonValue(2).Select(j => j as Json.Obj ?? Json.Object(("content", j))).NonEmptyListOf().ToArbitrary(), contents =>
        {
            var versions = toSeq(contents).Strict();
            var one = new Timeline.Message("m", "c", 1, None, "u", 1, 5, false, false, versions.Head);
            var built = versions.Tail.Fold(one, (m, v) => m.WithEdit(v));
            var whole = new Timeline.Message("m", "c", 1, None, "u", 1, 5, false, false, versions);
            return (built == whole && built.GetHashCode() == whole.GetHashCode() && built.Versions == versions && whole.Versions == versions
                && built.Content == versions.Last && built.Original == versions.Head && built.Edited == (versions.Count > 1)
                && (versions.Count == 1 || built != one)).Label($"{versions.Count} versions");
        });
}
