from .cli import cli

# guarded: worker processes (listings --jobs) import the main module under another name and must not run the CLI
if __name__ == "__main__":
    cli()
