global using LanguageExt;
global using LanguageExt.Common;
global using static LanguageExt.Prelude;
global using EventSourced.Domain;
global using EventSourced.Domain.Client;
global using LanguageExt.ClassInstances;
