/** Training runs: the Trainer (steps, evaluation, checkpoints, non-finite guard) and its parts. */
export { Trainer, type TrainStepReport, type TrainerOptions } from './trainer.js';
export { LossEvaluator, buildLlamaEvalLoss, type EvalResult } from './eval-loss.js';
export { CHECKPOINT_FILES, readCheckpoint, trainerStateSchema, writeCheckpoint, type TrainerState } from './checkpoint.js';
export { NonFiniteLossError } from './non-finite.js';
export { trainStepFlops } from './flops.js';
export { markovCorpus, type MarkovCorpus } from './markov-corpus.js';
export { LoraTrainer, type LoraTrainerOptions } from './lora-trainer.js';
export { LORA_CHECKPOINT_FILES, loraTrainerStateSchema, readLoraCheckpoint, writeLoraCheckpoint, type LoraTrainerState } from './lora-checkpoint.js';
