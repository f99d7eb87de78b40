export { emitModel, OPSET, type EmittedModel } from './emit.js';
export { Session, clearSessionCache, type SessionOptions, type Feed, ort } from './session.js';
