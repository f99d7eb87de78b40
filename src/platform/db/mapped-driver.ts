import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/** How one engine's connections behave: the part of a driver that differs between SQLite and PostgreSQL. */
export interface ConnectionPolicy {
  /** Turns a driver error into a CrucibleError where it has a stable meaning. */
  mapError(err: unknown): unknown;
  /** Runs one statement; SQLite waits out SQLITE_BUSY here. */
  runStatement<T>(statement: () => Promise<T>): Promise<T>;
  /** The statement that opens a transaction, where the engine's default is wrong (SQLite: `begin immediate`). */
  beginSql?: string;
}

/** A connection whose statements go through the policy, so even plain `db.insertInto(...)` gets mapped errors. */
class MappedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly policy: ConnectionPolicy,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.policy.runStatement(() => this.inner.executeQuery<R>(query));
    } catch (err) {
      throw this.policy.mapError(err);
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      throw this.policy.mapError(err);
    }
  }
}

function innerOf(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof MappedConnection ? connection.inner : connection;
}

/**
 * Wraps a Kysely driver so that every statement, transaction boundary and connection attempt goes
 * through a ConnectionPolicy. The inner driver keeps pooling and connection bookkeeping.
 */
export class MappedDriver implements Driver {
  private readonly connections = new WeakMap<DatabaseConnection, MappedConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly policy: ConnectionPolicy,
  ) {}

  private async mapped<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.policy.mapError(err);
    }
  }

  init(): Promise<void> {
    return this.mapped(() => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.mapped(() => this.inner.acquireConnection());
    let wrapped = this.connections.get(connection);
    if (!wrapped) {
      wrapped = new MappedConnection(connection, this.policy);
      this.connections.set(connection, wrapped);
    }
    return wrapped;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.policy.beginSql) {
      await connection.executeQuery(CompiledQuery.raw(this.policy.beginSql));
      return;
    }
    await this.mapped(() => this.inner.beginTransaction(innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.mapped(() => this.inner.commitTransaction(innerOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.mapped(() => this.inner.rollbackTransaction(innerOf(connection)));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.mapped(() => this.inner.savepoint!(innerOf(connection), name, compile));
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.mapped(() => this.inner.rollbackToSavepoint!(innerOf(connection), name, compile));
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.mapped(() => this.inner.releaseSavepoint!(innerOf(connection), name, compile));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
