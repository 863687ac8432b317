// Command layercheck fails when the module's folders do not form the
// project's layering (STYLE.md, "Layering is one-way"):
//
//   - a package imports a folder its own folder may not depend on (the
//     table in layers.go);
//
//   - the top-level folders import each other in a cycle (whatever the
//     table says);
//
//   - simulation and role code in ecs, systems or world reads the wall
//     clock or imports math/rand instead of taking the injected clock and
//     the world's seeded generator (rules.go).
//
//     go run ./tools/layercheck [module dir]
//
// It asks `go list` for every package's imports, test imports included,
// and prints one line per violation.
package main
