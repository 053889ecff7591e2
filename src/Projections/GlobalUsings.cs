global using LanguageExt;
global using static LanguageExt.Prelude;
global using EventSourced.Domain;
global using EventSourced.Domain.Client;
global using EventSourced.Domain.Packets;
global using static EventSourced.Domain.Client.Event;
global using LanguageExt.ClassInstances;
