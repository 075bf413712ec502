"""Clusters, networks, instances, nodes, jobs, console, graphs and the OAuth2 API."""
