"""Browser pages of the ratings app, one module per subject. Views parse input, call a service or a
selector, and render; every rule lives in ratings/services/."""
