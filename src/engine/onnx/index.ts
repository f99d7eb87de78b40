export { emitModel, OPSET, type EmittedModel } from './emit.js';
export { Session, clearSessionCache, type SessionOptions, type Feed, ort } from './session.js';
export { checkGradients, rng, type CheckInput, type CheckResult } from './gradcheck.js';
export { summarizeProfile } from './profile.js';
