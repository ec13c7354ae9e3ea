# iongrad workflow entry point: includes the stage files under workflow/rules/.
# (The workflow lands with its own issue; until then `make run` runs `iongrad nernst`.)
