global using Xunit;
global using LanguageExt;
global using static LanguageExt.Prelude;
global using EventSourced.Domain;
global using EventSourced.Domain.Packets;
global using EventSourced.Domain.Client;
global using Snapshooter;
global using Snapshooter.Xunit;
global using LanguageExt.ClassInstances;
