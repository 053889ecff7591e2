global using System;
global using System.Collections.Generic;
global using System.Linq;
global using LanguageExt;
global using static LanguageExt.Prelude;
global using LanguageExt.ClassInstances;
