echo "__init__ must not be imported by the check" >&2
exit 1
