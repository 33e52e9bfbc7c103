"""surge.contrib: shells for other frameworks (`surge.contrib.django`).

Each one imports its framework; core surge never imports them (an import-linter contract).
"""
