"""Cases, batches, disclosures and the one decision pipeline every response goes through."""
