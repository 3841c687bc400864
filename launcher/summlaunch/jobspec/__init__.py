"""The job spec: JobSpec (spec), building it from flags and run files (build), its validation
(validate, checks) and the TPU table (tpu_types)."""
