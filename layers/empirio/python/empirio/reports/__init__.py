"""What customers read about their own use, shared by the JSON API families and the console: usage totals and
days, the per-request records (list, one, CSV), and the catalog's public view."""
