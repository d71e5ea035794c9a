from pysnop.cli.main import main

main()
