"""Pure domain rules that every app may import: no Django, no database (the bottom layer)."""
