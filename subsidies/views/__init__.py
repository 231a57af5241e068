"""Browser pages of the subsidies app: policy, batches (list, generate, detail, actions), lines, Excel, mine."""
