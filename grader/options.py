"""Command-line options that several verbs share: grade, batch, its worker, the Gradescope export."""

import click


def allowed_import_names(context, parameter, values):
    for name in values:
        if not name.isidentifier():
            raise click.BadParameter(f"{name!r}: give a top-level module name, e.g. --allow-import scipy")
    return tuple(values)


allow_import_option = click.option(
    "--allow-import", "allowed_imports", multiple=True, metavar="NAME", callback=allowed_import_names,
    help="Let exercises import the module NAME (and its submodules) besides numpy, the standard "
         "library and the earlier exercises (repeatable).")
