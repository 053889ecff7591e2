using System.Reactive.Linq;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.InMemory;

namespace EventSourced.Tests.Properties.Adapters.Storage.InMemory;

public sealed class InMemoryEventLogTests : EventLogContract
{
    protected override Task<IEventLog> CreateAsync() => Task.FromResult<IEventLog>(new InMemoryEventLog());

    [Fact]
    public async Task When_an_append_completes_every_subscriber_has_already_seen_it()
    {
        await using var log = new InMemoryEventLog();
        var seen = 0L;
        using var sub = log.Subscribe().Subscribe(r => seen = r.Meta.Position);
        var result = await log.AppendAsync("s", ExpectedVersion.Any, [Ev("s", "a")]);
        Assert.Equal(result.Map(r => r.LastPosition), Fin<long>.Succ(seen));
    }

    [Fact]
    public async Task A_subscriber_that_appends_while_notified_gets_a_clear_error_instead_of_reordering_the_feed()
    {
        await using var log = new InMemoryEventLog();
        Fin<AppendResult>? nested = null;
        using var sub = log.Subscribe().Subscribe(r =>
        {
            if (nested is null) nested = log.AppendAsync("t", ExpectedVersion.Any, [Ev("t", "nested")]).GetAwaiter().GetResult();
        });
        await log.AppendAsync("s", ExpectedVersion.Any, [Ev("s", "a")]);
        Assert.True(nested is { IsFail: true });
        nested!.Value.IfFail(e => Assert.Equal(EventLogErrors.ReentrantAppend, e.Code));
        Assert.Equal(1, log.LastPosition);
    }

    [Fact]
    public async Task Read_models_follow_the_log_through_the_feed()
    {
        await using var log = new InMemoryEventLog();
        var states = new List<EventSourced.Projections.Timeline.State>();
        using var sub = EventSourced.Projections.Observables.Project(EventSourced.Projections.Observables.Events(log.Subscribe()), EventSourced.Projections.Timeline.Reducer).Subscribe(states.Add);
        await log.AppendAsync("s", ExpectedVersion.Any, [Ev("s", "m1"), Ev("s", "m1")]);
        Assert.Single(states);
    }
}
