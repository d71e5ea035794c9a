from pysnop.cli import main

main()
