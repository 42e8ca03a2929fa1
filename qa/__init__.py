"""What people run to demonstrate and measure: demo, benchmarks, matching evaluation and the
one generator of invented people. May import everything, the mock sites included."""
