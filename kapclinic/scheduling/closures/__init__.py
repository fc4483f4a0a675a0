"""Days a clinic is closed (public holidays and one-off closures): the jurisdiction data of
holidays, the admin's writes and reads. The rule that nothing is booked on a closed day is
the slot rules' (``kapclinic.scheduling.slots``), fed by ``availability.clinic_facts``."""
