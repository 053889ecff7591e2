global using Xunit;
global using LanguageExt;
global using static LanguageExt.Prelude;
global using EventSourced.Domain;
global using EventSourced.Domain.Packets;
global using EventSourced.Adapters.Server;
global using EventSourced.Domain.Client;
global using FsCheck.Fluent;
global using LanguageExt.ClassInstances;
