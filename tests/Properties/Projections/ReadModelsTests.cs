using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

public sealed class ReadModelsTests() : ReducerLaws<ReadModels>(ReadModels.Reducer)
{
    [Property(MaxTest = 100, Arbitrary = [typeof(Arbitraries)])]
    public Property Folding_all_models_together_equals_folding_each_alone(Seq<Event> events)
    {
        var all = R.Fold(events);
        return (all.Timeline == Timeline.Reducer.Fold(events) && all.Conversations == ConversationList.Reducer.Fold(events)
            && all.Coverage == Coverage.Reducer.Fold(events) && all.LiveChat == LiveChat.Reducer.Fold(events)).ToProperty();
    }
}
