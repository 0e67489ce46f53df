/** Why an artifact was not stored: a bad name, a name already used in the run, over a size limit, or the attempt is over. Nothing was stored. */
export class ArtifactRefusedError extends Error {
  constructor(
    readonly reason: 'bad_name' | 'name_taken' | 'too_large' | 'not_running' | 'no_store',
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
