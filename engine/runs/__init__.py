"""Training runs: launching, the run folder contract, attaching, stopping, listing."""
