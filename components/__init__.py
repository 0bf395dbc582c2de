"""The fleet above the providers: spec, ramp, sequencer export, the ColdEmailFleet component and the program."""
