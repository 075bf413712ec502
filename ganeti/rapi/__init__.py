"""Everything that speaks Ganeti's RAPI: the client, the per-cluster connection, the cached inventory.

Views and services never build RAPI URLs; they call `client_for(cluster)` or the inventory."""
