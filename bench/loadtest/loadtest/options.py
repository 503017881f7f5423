"""Options whose values must lie in a range, declared once: the range is in the help and checked."""


def bounded(parser, name, low, high, **kwargs):
    """Adds option (or positional) `name` to `parser`; a value outside `low`..`high` is a usage error."""
    default = kwargs.get("default")
    kwargs["help"] += f" ({low:g} to {high:g}" + (f"; default {default:g})" if default is not None else ")")
    action = parser.add_argument(name, **kwargs)
    parser.set_defaults(bounds=parser.get_default("bounds") or [])
    parser.get_default("bounds").append((action.dest, name, low, high))


def out_of_range(args):
    """The usage error of the first bounded value outside its range, or None."""
    for dest, name, low, high in getattr(args, "bounds", None) or []:
        value = getattr(args, dest)
        if value is not None and not low <= value <= high:
            return f"{name} must be from {low:g} to {high:g}"
    return None
