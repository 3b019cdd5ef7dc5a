"""History storage: SQLite or MySQL/MariaDB behind one repository code, versioned migrations."""
