import { Route, Routes } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { infoQuery } from "./api/queries";
import { Layout } from "./components/Layout/Layout";
import { OverviewPage } from "./pages/OverviewPage";
import { JobsPage } from "./pages/JobsPage";
import { JobPage } from "./pages/JobPage";
import { DeadLettersPage } from "./pages/DeadLettersPage";
import { NewJobPage } from "./pages/NewJobPage";
import { NotFoundPage } from "./pages/NotFoundPage";

/** The routes inside the chrome; /info (environment, connection) is polled here for the header. */
export function App() {
  const info = useQuery(infoQuery());
  return (
    <Layout info={info.data} infoError={info.error}>
      <Routes>
        <Route path="/" element={<OverviewPage />} />
        <Route path="/jobs" element={<JobsPage />} />
        <Route path="/jobs/:id" element={<JobPage />} />
        <Route path="/dead-letters" element={<DeadLettersPage />} />
        <Route path="/new" element={<NewJobPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Layout>
  );
}
