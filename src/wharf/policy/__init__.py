"""Pure rules over plain data: no I/O, decisions with a rule id and a reason."""
