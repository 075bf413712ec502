"""Instance applications, organizations and the OS image catalogue."""
