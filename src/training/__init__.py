"""Training: the loop (bucketed batches, early stopping), losses, schedules, distillation, teacher fine-tuning."""
