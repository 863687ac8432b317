package systems

import arche "github.com/mlange-42/arche/ecs"

// ecsEntity is arche's entity handle, named once for this package.
type ecsEntity = arche.Entity
