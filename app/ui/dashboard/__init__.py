"""The usage dashboard window (View › Dashboard): app/ops/usage.py's figures
drawn with QPainter charts (charts.py), filters, CSV export and prices."""
