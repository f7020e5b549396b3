"""Command-line options that several verbs share: grade, batch, its worker, the Gradescope export."""

import click

from .grading.seeds import Seed


def allowed_import_names(context, parameter, values):
    for name in values:
        if not name.isidentifier():
            raise click.BadParameter(f"{name!r}: give a top-level module name, e.g. --allow-import scipy")
    return tuple(values)


allow_import_option = click.option(
    "--allow-import", "allowed_imports", multiple=True, metavar="NAME", callback=allowed_import_names,
    help="Let exercises import the module NAME (and its submodules) besides numpy, the standard "
         "library and the earlier exercises (repeatable).")


class SeedParameter(click.ParamType):
    """``--seed 42`` or ``--seed env:NAME`` (read from that environment variable)."""

    name = "seed"

    def convert(self, value, parameter, context):
        if isinstance(value, Seed):
            return value
        try:
            seed = Seed.parse(value)
        except ValueError as error:
            self.fail(str(error), parameter, context)
        if seed.guessable:
            click.echo(f"note: the seed in {seed.variable} is small; reports show its fingerprint, from which "
                       "a small seed is found by trying them all. Use a long random one: "
                       "python -c 'import secrets; print(secrets.randbits(64))'", err=True)
        return seed


seed_option = click.option(
    "--seed", type=SeedParameter(), default="0", show_default=True, metavar="N|env:NAME",
    help="Seed of the random test inputs: an integer, or env:NAME to read it from the environment "
         "variable NAME (reports then show only its fingerprint).")
