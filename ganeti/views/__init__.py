"""Views of the ganeti app, one module per area: instances (lists, detail, power actions) and changes
(confirmed actions, configuration, owners, locks, isolation); later clusters, nodes, jobs, console."""
